"""OAuth 2.0 for third-party apps: django-oauth-toolkit's models with a team, consent, scopes."""
