"""Notification channels (Teams, Slack, email, folder) behind one interface."""
