"""Lists whose usual order is not one column's (today and upcoming first, open messages first …).

Django guesses the sort arrows of a list's default order from the model's Meta.ordering, which these
lists do not use: the date column showed "sorted ascending" above rows that were not. Until someone
clicks a column title, no column claims the order; a line above the list says what it is instead, and
once a column is clicked, the line offers the way back.
"""

from typing import Any

from django.contrib.admin.views.main import ORDER_VAR
from django.http import HttpRequest
from unfold.views import ChangeList


class _UsualOrderChangeList(ChangeList):
    def get_ordering_field_columns(self) -> dict[int, str]:
        if ORDER_VAR not in self.params:
            return {}  # the usual order: no column's arrow, the note above the list says it
        return super().get_ordering_field_columns()

    @property
    def in_usual_order(self) -> bool:
        return ORDER_VAR not in self.params

    @property
    def usual_order_url(self) -> str:
        return self.get_query_string(remove=[ORDER_VAR])


class UsualOrderNote:
    """Mixin for an unfold ModelAdmin: `usual_order` says the default order in plain words."""

    usual_order: str = ""
    list_before_template = "admin/includes/usual_order.html"

    def get_changelist(self, request: HttpRequest, **kwargs: Any) -> type[ChangeList]:
        return _UsualOrderChangeList
