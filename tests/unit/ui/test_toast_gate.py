from console.ui.toast_gate import ToastGate


def test_one_toast_every_few_seconds_the_rest_go_to_the_hotlist() -> None:
    now = [100.0]
    gate = ToastGate(3.0, clock=lambda: now[0])
    assert gate.allow()
    now[0] += 0.5
    assert not gate.allow()  # a second customer half a second later: the hotlist line
    now[0] += 2.4
    assert not gate.allow()
    now[0] += 0.2  # 3.1 s after the first toast
    assert gate.allow()
    assert not gate.allow()
