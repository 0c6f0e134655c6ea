"""The consent form: the toolkit's hidden OAuth fields plus the team the app will act for."""

from __future__ import annotations

from typing import Any

from django import forms
from oauth2_provider.forms import AllowForm

from sparkloop.models import Team


class ConsentForm(AllowForm):
    team = forms.ChoiceField(choices=[])

    def __init__(self, *args: Any, teams: list[Team], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.teams = {team.public_id: team for team in teams}
        field = self.fields["team"]
        field.choices = [(team.public_id, team.name) for team in teams]
        if len(teams) == 1:
            field.initial = teams[0].public_id

    def chosen_team(self) -> Team:
        return self.teams[self.cleaned_data["team"]]
