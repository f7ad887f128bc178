from django.contrib import admin

from .models import Department, ModuleActivation, Municipality, MunicipalityHost


class HostInline(admin.TabularInline):
    model = MunicipalityHost
    extra = 0


@admin.register(Municipality)
class MunicipalityAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "prefecture", "slug", "is_active")
    search_fields = ("code", "name", "name_kana", "slug")
    inlines = [HostInline]


@admin.register(Department)
class DepartmentAdmin(admin.ModelAdmin):
    list_display = ("name", "municipality", "slug", "is_active")
    list_filter = ("municipality",)


@admin.register(ModuleActivation)
class ModuleActivationAdmin(admin.ModelAdmin):
    list_display = ("municipality", "module_key", "enabled")
    list_filter = ("module_key", "enabled")
