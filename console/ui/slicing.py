"""TimeSlice lives in the core (console/core/slicing.py): the core slices a batch answer by
time too. Kept here for the App's applier and its tests."""

from console.core.slicing import TimeSlice, in_slices

__all__ = ["TimeSlice", "in_slices"]
