from django.urls import path

from . import views

app_name = "accounts"

urlpatterns = [
    path("login/", views.EdcLoginView.as_view(), name="login"),
    path("logout/", views.EdcLogoutView.as_view(), name="logout"),
    path("account/", views.AccountView.as_view(), name="account"),
    path("account/password/", views.EdcPasswordChangeView.as_view(), name="password-change"),
    path("sites/", views.SiteListView.as_view(), name="site-list"),
]
