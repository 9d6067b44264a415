app_name = "tools"
urlpatterns: list = []
