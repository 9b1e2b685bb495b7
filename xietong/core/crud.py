"""Generic list / detail / edit / delete pages, all scoped through ``core.scope``.

Every app's CRUD pages subclass these: the queryset comes from ``scope.queryset``, an
object outside the user's scope is a 404, and a write the role may not do on a visible
object is a 403 (recorded as a security event).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import ProtectedError, Q
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views import generic

from . import scope


@dataclass(frozen=True)
class Column:
    """A table column: a header and an attribute path (``a.b``), a method name, or a callable.

    Choice fields show their display value; the first column links to the detail page.
    """

    label: Any
    attr: str | Callable[[Any], Any]

    def value(self, obj):
        if callable(self.attr):
            return self.attr(obj)
        member = getattr(type(obj), self.attr, None)
        if callable(member) and not isinstance(member, property):
            return getattr(obj, self.attr)()
        value = obj
        for part in self.attr.split("."):
            display = getattr(value, f"get_{part}_display", None)
            value = display() if display else getattr(value, part, None)
            if value is None:
                return ""
        return value


class ScopedMixin(LoginRequiredMixin):
    model = None
    url_base = ""  # URL name prefix: "<url_base>_list", "_detail", "_create", "_edit", …

    def get_queryset(self):
        return scope.queryset(self.request.user, self.model)

    def check(self, action: scope.Action, obj=None, **ctx) -> None:
        if not scope.can(self.request.user, action, self.model, obj, **ctx):
            raise PermissionDenied(_("Your role does not allow this."))

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user = self.request.user
        context.update(
            verbose_name=self.model._meta.verbose_name,
            verbose_name_plural=self.model._meta.verbose_name_plural,
            url_base=self.url_base,
            can_create=scope.can(user, "create", self.model),
        )
        obj = context.get("object")
        if obj is not None:
            context["can_change"] = scope.can(user, "change", self.model, obj)
            context["can_delete"] = scope.can(user, "delete", self.model, obj)
        return context


class ObjectListView(ScopedMixin, generic.ListView):
    template_name = "core/object_list.html"
    paginate_by = 50
    columns: list[Column] = []
    search_fields: list[str] = []
    filters: list[tuple[str, Any, Any]] = []  # (query parameter, label, choices)

    def get_queryset(self):
        qs = super().get_queryset()
        q = self.request.GET.get("q", "").strip()
        if q and self.search_fields:
            cond = Q()
            for name in self.search_fields:
                cond |= Q(**{f"{name}__icontains": q})
            qs = qs.filter(cond)
        for param, _label, choices in self.filters:
            value = self.request.GET.get(param)
            if value and value in {str(key) for key, _text in choices}:
                qs = self.filter_queryset(qs, param, value)
        return qs

    def filter_queryset(self, qs, param: str, value: str):
        """Apply one filter of ``filters``; override for filters that are not a field."""
        return qs.filter(**{param: value})

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["columns"] = self.columns
        context["rows"] = [
            (obj, [col.value(obj) for col in self.columns]) for obj in context["object_list"]
        ]
        context["filters"] = [
            (param, label, [(str(k), v) for k, v in choices], self.request.GET.get(param, ""))
            for param, label, choices in self.filters
        ]
        context["query"] = self.request.GET.get("q", "")
        context["searchable"] = bool(self.search_fields)
        params = self.request.GET.copy()
        params.pop("page", None)
        context["querystring"] = params.urlencode()
        return context


class ObjectDetailView(ScopedMixin, generic.DetailView):
    template_name = "core/object_detail.html"
    fields: list[Column] = []

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["field_rows"] = [(col.label, col.value(self.object)) for col in self.fields]
        return context


class ObjectFormMixin(ScopedMixin):
    template_name = "core/object_form.html"

    def get_form_kwargs(self):
        kwargs = super().get_form_kwargs()
        kwargs["user"] = self.request.user
        return kwargs

    def form_valid(self, form):
        action = "change" if form.instance.pk else "create"
        ctx = {name: form.cleaned_data.get(name) for name in ("programme", "region")}
        self.check(action, form.instance if action == "change" else None, **ctx)
        with transaction.atomic():
            self.object = form.save()
        messages.success(self.request, _("Saved: %(object)s") % {"object": self.object})
        return redirect(self.get_success_url())

    def get_success_url(self):
        return reverse(f"{self.url_base}_detail", args=[self.object.pk])


class ObjectCreateView(ObjectFormMixin, generic.CreateView):
    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated:
            self.check("create")
        return super().dispatch(request, *args, **kwargs)


class ObjectEditView(ObjectFormMixin, generic.UpdateView):
    def get_object(self, queryset=None):
        obj = super().get_object(queryset)
        self.check("change", obj)
        return obj


class ObjectDeleteView(ScopedMixin, generic.DeleteView):
    template_name = "core/object_confirm_delete.html"

    def get_form_class(self):
        return forms.Form  # confirmation only; the model's form (if any) does not apply

    def get_object(self, queryset=None):
        obj = super().get_object(queryset)
        self.check("delete", obj)
        return obj

    def form_valid(self, form):
        name = str(self.object)
        try:
            with transaction.atomic():
                self.object.delete()
        except ProtectedError:
            messages.error(
                self.request,
                _("%(object)s is still referenced by other records and cannot be deleted.")
                % {"object": name},
            )
            return redirect(reverse(f"{self.url_base}_detail", args=[self.object.pk]))
        messages.success(self.request, _("Deleted: %(object)s") % {"object": name})
        return redirect(reverse(f"{self.url_base}_list"))
