from django.contrib import admin

from .models import StaffMembership, User


@admin.register(User)
class UserAdmin(admin.ModelAdmin):
    list_display = ("email", "is_active", "is_superuser", "email_verified_at", "date_joined")
    search_fields = ("email",)
    list_filter = ("is_active", "is_superuser")
    readonly_fields = ("public_id", "password", "last_login", "date_joined")
    exclude = ("groups", "user_permissions")


@admin.register(StaffMembership)
class StaffMembershipAdmin(admin.ModelAdmin):
    list_display = ("user", "municipality", "role", "department", "is_active")
    list_filter = ("municipality", "role", "is_active")
    search_fields = ("user__email",)
