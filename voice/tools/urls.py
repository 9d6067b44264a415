from django.urls import path

from voice.tools import api

app_name = "tools"
urlpatterns = [
    path("", api.tool_index, name="index"),
    path("<str:slug>/", api.tool_view, name="tool"),
]
