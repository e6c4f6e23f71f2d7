"""The App's controllers: each owns one long-running concern of the console (the login and
the session, the history, the drafts, the live events, the team, the announcements, the
canned responses, the balance, the palette) and the workers it needs. The App builds them,
keeps the services they set up, and routes Textual messages to them; screens read them
through the App (console.ui.app_access). What can be pure lives in core/ and is tested there.
"""
