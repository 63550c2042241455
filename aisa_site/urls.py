from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.shortcuts import redirect
from django.templatetags.static import static
from django.urls import include, path

admin.site.site_header = "AI visibility — administration"
admin.site.site_title = "AI visibility admin"


@login_not_required
def favicon(request):
    """Browsers ask for /favicon.ico even when pages link the SVG icon: send them to it.

    Not permanent, as the static file's (hashed) name changes with its content."""
    return redirect(static("favicon.svg"))


urlpatterns = [
    path("favicon.ico", favicon),
    path(
        "accounts/login/",
        auth_views.LoginView.as_view(redirect_authenticated_user=True),
        name="login",
    ),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("admin/", admin.site.urls),
    path("", include("monitoring.urls")),
]
