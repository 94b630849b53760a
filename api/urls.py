from django.urls import path

from . import views, views_tokens

app_name = "api"

urlpatterns = [
    path("api/", views.api_endpoint, name="endpoint"),
    path("account/api-token/", views_tokens.token_create, name="token-create"),
    path("account/api-token/<int:pk>/revoke/", views_tokens.token_revoke, name="token-revoke"),
]
