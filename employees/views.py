import secrets

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.contrib.auth.mixins import LoginRequiredMixin, PermissionRequiredMixin
from django.contrib.messages import get_messages
from django.contrib.messages.views import SuccessMessageMixin
from django.core.cache import cache, caches
from django.core.cache.utils import make_template_fragment_key
from django.db import DatabaseError, connection, transaction
from django.http import Http404, HttpResponse, JsonResponse, StreamingHttpResponse
from django.middleware.csrf import get_token
from django.shortcuts import get_object_or_404, redirect, render
from django.template.response import TemplateResponse
from django.urls import reverse, reverse_lazy
from django.utils.functional import cached_property
from django.utils.http import content_disposition_header
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_safe
from django.views.generic import CreateView, DeleteView, DetailView, ListView, TemplateView, UpdateView, View
from django.views.static import serve
from django_filters.views import FilterView

from . import exports, orgchart
from .context_processors import navigation_key
from .filters import EmployeeFilter
from .forms import EmployeeForm, MyProfileForm
from .models import Badge, Department, Employee
from .pagination import EmployeePaginator
from .signals import facets_generation

# Where a kept page's CSRF token goes: every response gets its own, freshly masked. Random, so that nothing
# typed into a search can put it in a page; it need not outlive the processes that keep the pages.
CSRF_TOKEN_PLACEHOLDER = secrets.token_hex(16)


class KeptPageMixin:
    """Sends a page this reader has seen before as it was rendered: kept in this process's memory, with a new
    CSRF token, it needs no template, no content from the shared cache and no query.

    ``page_key`` must name all the page shows. A page with messages to show is rendered as usual and not
    kept, and so is one whose scripts use the CSP nonce, which must be new on every response.
    """

    def dispatch(self, request, *args, **kwargs):
        if request.method != "GET" or get_messages(request):
            return super().dispatch(request, *args, **kwargs)
        page = caches["pages"].get(self.page_key)
        if page is not None:
            return HttpResponse(self.with_csrf_token(page))
        response = super().dispatch(request, *args, **kwargs)
        if isinstance(response, TemplateResponse) and response.status_code == 200:
            response.context_data["csrf_token"] = CSRF_TOKEN_PLACEHOLDER
            response.add_post_render_callback(self.keep_page)
        return response

    def keep_page(self, response):
        # Kept cut where the token goes: joining the parts around a token is cheaper than searching the page.
        page = response.content.split(CSRF_TOKEN_PLACEHOLDER.encode())
        if not self.request.csp_nonce:
            caches["pages"].set(self.page_key, page)
        response.content = self.with_csrf_token(page)

    def with_csrf_token(self, page):
        return get_token(self.request).encode().join(page)


class EmployeeListView(LoginRequiredMixin, KeptPageMixin, FilterView):
    queryset = Employee.objects.for_list()
    filterset_class = EmployeeFilter
    paginate_by = 25
    context_object_name = "employees"
    template_name = "employees/employee_list.html"

    def get(self, request, *args, **kwargs):
        # A page seen before is its cached content: no filters, form, counts or page to build for it.
        content = cache.get(make_template_fragment_key("employee-list", [self.content_version]))
        if content is not None:
            return TemplateResponse(request, self.template_name, {"content": content})
        return super().get(request, *args, **kwargs)

    @cached_property
    def content_version(self):
        """What the page's content depends on: the directory's state, the address and the reader's buttons."""
        can_add = self.request.user.has_perm("employees.add_employee")
        return f"{facets_generation()}:{can_add}:{self.request.get_full_path()}"

    @cached_property
    def page_key(self):
        reader = [get_language(), *navigation_key(self.request.user)]
        return make_template_fragment_key("employee-list-page", [*reader, self.content_version])

    def get_paginator(self, queryset, per_page, **kwargs):
        count = self.filterset.facets["total"]
        return EmployeePaginator(self.filterset.first_found(queryset), per_page, count=count, **kwargs)


class EmployeeDetailView(LoginRequiredMixin, DetailView):
    def get_queryset(self):
        return (
            Employee.objects.with_badges()
            .select_related("department")
            .prefetch_related("skills")
            .with_private_fields(self.request.user)
        )

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["reporting_line"] = self.object.reporting_line()
        context["direct_reports"] = self.object.direct_reports()
        if self.request.user.has_perm("employees.change_employee"):
            context["changes"] = self.object.recent_changes()
        return context


class EmployeeCreateView(PermissionRequiredMixin, SuccessMessageMixin, CreateView):
    model = Employee
    form_class = EmployeeForm
    permission_required = "employees.add_employee"
    success_message = _("%(full_name)s was added.")


class VersionedUpdateMixin:
    """Saves through a VersionedEmployeeForm: a save over someone's newer version is refused, explained."""

    @transaction.atomic
    def post(self, request, *args, **kwargs):
        # One transaction, so the row the form locks to compare versions stays locked until it is saved.
        return super().post(request, *args, **kwargs)

    def form_valid(self, form):
        try:
            with transaction.atomic():
                return super().form_valid(form)
        except Employee.EditConflict:
            form.add_conflict_error(Employee.objects.with_badges().get(pk=self.object.pk))
            return self.form_invalid(form)


class EmployeeUpdateView(PermissionRequiredMixin, VersionedUpdateMixin, SuccessMessageMixin, UpdateView):
    model = Employee
    form_class = EmployeeForm
    permission_required = "employees.change_employee"
    success_message = _("%(full_name)s was updated.")


class MyProfileView(LoginRequiredMixin, VersionedUpdateMixin, SuccessMessageMixin, UpdateView):
    """The signed-in user's own employee record, the part they keep current themselves. The URL names no
    employee: nobody can reach anyone else's record through it."""

    form_class = MyProfileForm
    template_name = "employees/my_profile.html"
    success_message = _("Your profile was updated.")
    success_url = reverse_lazy("employees:my-profile")

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and not hasattr(request.user, "employee"):
            # Nothing to show or save: say so, and who can link the account.
            return render(request, "employees/my_profile_not_linked.html")
        return super().dispatch(request, *args, **kwargs)

    def get_object(self, queryset=None):
        # Read now, not the copy cached with the signed-in user: an import may have changed it since.
        return get_object_or_404(Employee, user=self.request.user)


class EmployeeDeleteView(PermissionRequiredMixin, SuccessMessageMixin, DeleteView):
    model = Employee
    permission_required = "employees.delete_employee"
    success_url = reverse_lazy("employees:list")
    success_message = _("%(full_name)s was deleted.")

    def get_success_message(self, cleaned_data):
        return self.success_message % {"full_name": self.object.full_name}


class DepartmentListView(LoginRequiredMixin, TemplateView):
    template_name = "employees/department_list.html"

    def get_context_data(self, **kwargs):
        departments = Department.objects.tree().values()
        return super().get_context_data(tree=orgchart.department_tree(list(departments)), **kwargs)


class DepartmentDetailView(LoginRequiredMixin, ListView):
    """A department's people, a page at a time, and the departments under it with their headcounts."""

    paginate_by = 25
    context_object_name = "employees"
    template_name = "employees/department_detail.html"

    def get_queryset(self):
        self.department = Department.objects.tree().get(self.kwargs["slug"])
        if self.department is None:
            raise Http404
        return Employee.objects.filter(department=self.department).for_list()

    def get_context_data(self, **kwargs):
        return super().get_context_data(department=self.department, **kwargs)


class OrgChartView(LoginRequiredMixin, TemplateView):
    """Who reports to whom, in one department or at the top of the company."""

    template_name = "employees/org_chart.html"
    # The whole company may be a million people: its chart shows the top levels; a department shows everyone.
    company_levels = 3
    company_limit = 500

    def get_context_data(self, **kwargs):
        departments = Department.objects.only("slug", "name", "parent").linked()
        slug = self.request.GET.get("department", "")
        department = departments.get(slug)
        if slug and department is None:
            raise Http404
        truncated, below = False, []
        if department:
            # The department's people and those of the departments under it: a team's manager is often in
            # the department above the team's.
            below = [node.pk for node in department.walk()]
            rows = list(Employee.objects.filter(department__in=below).org_chart())
        else:
            rows = Employee.objects.top_of_company(self.company_levels, self.company_limit + 1)
            truncated = len(rows) > self.company_limit
            rows = rows[: self.company_limit]
        return super().get_context_data(
            departments=departments.values(),
            department=department,
            with_subdepartments=len(below) > 1,
            chart=orgchart.org_chart(rows),
            people=len(rows),
            truncated=truncated,
            **kwargs,
        )


class HeadcountView(LoginRequiredMixin, TemplateView):
    template_name = "employees/headcount.html"

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            locations=Employee.objects.headcount_by_location(),
            badges=Badge.objects.with_headcount(),
            **kwargs,
        )


class EmployeeVCardView(LoginRequiredMixin, DetailView):
    def get_queryset(self):
        return Employee.objects.with_badges().with_private_fields(self.request.user)

    def render_to_response(self, context):
        card = exports.vcard(self.object, self.request.build_absolute_uri(self.object.get_absolute_url()))
        return HttpResponse(
            card,
            content_type="text/vcard; charset=utf-8",
            headers={"Content-Disposition": content_disposition_header(True, f"{self.object.full_name}.vcf")},
        )


class FilteredExportView(LoginRequiredMixin, View):
    """The list page's employees, with its search, filters and order, as a file that streams."""

    filename = None
    content_type = None

    def get(self, request):
        employees = Employee.objects.with_badges().with_private_fields(request.user)
        filterset = EmployeeFilter(request.GET, queryset=employees, request=request)
        if not filterset.is_valid():
            # The list page explains what is wrong with these filters.
            return redirect(f"{reverse('employees:list')}?{request.GET.urlencode()}")
        return StreamingHttpResponse(
            self.stream(filterset.qs),
            content_type=self.content_type,
            headers={"Content-Disposition": content_disposition_header(True, self.filename)},
        )


class EmployeeCSVExportView(FilteredExportView):
    filename = "employees.csv"
    content_type = "text/csv; charset=utf-8"

    def stream(self, employees):
        return exports.csv_lines(employees)


class EmployeeVCardExportView(FilteredExportView):
    filename = "employees.vcf"
    content_type = "text/vcard; charset=utf-8"

    def stream(self, employees):
        return exports.vcards(employees, self.request.build_absolute_uri)


def healthz(request):
    """Liveness: the process answers. Never touches the database."""
    return HttpResponse("ok", content_type="text/plain")


def readyz(request):
    """Readiness: the database answers, so the load balancer may send traffic here."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except DatabaseError:
        return JsonResponse({"status": "unavailable", "database": "unreachable"}, status=503)
    return JsonResponse({"status": "ok"})


@require_safe
@login_required
@cache_control(private=True, max_age=31_536_000, immutable=True)
def media(request, path):
    """An uploaded photo, for signed-in users only. SecurityMiddleware adds ``X-Content-Type-Options``.

    A photo's random name is never reused (a new photo gets a new name), so browsers may keep it for a year.
    """
    return serve(request, path, document_root=settings.MEDIA_ROOT)
