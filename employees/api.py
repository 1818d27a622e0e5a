"""The REST API under /api/v1/: the list page's search, filters and sort order, and the UI's permissions."""

from django.core.exceptions import ValidationError
from django_filters.rest_framework import DjangoFilterBackend
from rest_framework import routers, serializers, viewsets

from .filters import EmployeeFilter
from .models import Badge, Department, Employee, Skill


class BadgeSerializer(serializers.ModelSerializer):
    class Meta:
        model = Badge
        fields = ["slug", "name", "icon", "position"]


class SkillNamesField(serializers.ListField):
    def to_representation(self, skills):
        return [skill.name for skill in skills.all()]


class EmployeeSerializer(serializers.ModelSerializer):
    badges = serializers.SlugRelatedField(
        many=True,
        required=False,
        slug_field="slug",
        queryset=Badge.objects.all(),
        help_text="Badge slugs, for example coffee-snob.",
    )
    badge_names = serializers.SerializerMethodField(help_text="The badges' names, in the order of `badges`.")
    department = serializers.SlugRelatedField(
        slug_field="slug",
        queryset=Department.objects.all(),
        required=False,
        allow_null=True,
        help_text="The department's slug, for example engineering; null for none.",
    )
    department_name = serializers.SerializerMethodField(help_text="The department's name.")
    manager = serializers.PrimaryKeyRelatedField(
        queryset=Employee.objects.all(),
        required=False,
        allow_null=True,
        style={"base_template": "input.html"},  # never a <select> of every employee in the browsable API
        help_text="The id of the employee this one reports to; null for nobody.",
    )
    skills = SkillNamesField(
        child=serializers.CharField(max_length=Skill._meta.get_field("name").max_length),
        required=False,
        max_length=30,
        help_text="Skill names. Existing skills are matched without regard to case; new ones are created.",
    )

    class Meta:
        model = Employee
        fields = [
            "id",
            "full_name",
            "job_title",
            "location",
            "badges",
            "badge_names",
            "department",
            "department_name",
            "manager",
            "skills",
            "created_at",
            "updated_at",
        ]

    def get_badge_names(self, employee) -> list[str]:
        return [badge.name for badge in employee.badges.all()]

    def get_department_name(self, employee) -> str | None:
        return employee.department.name if employee.department else None

    def validate_skills(self, names):
        unique = {}
        for name in names:
            name = " ".join(name.split())
            unique.setdefault(name.lower(), name)
        return Skill.objects.for_names(list(unique.values()))

    def validate(self, attrs):
        manager = attrs.get("manager")
        if self.instance is not None and manager is not None:
            try:
                self.instance.check_manager(manager.pk)
            except ValidationError as error:
                raise serializers.ValidationError(error.message_dict) from error
        return attrs

    def create(self, validated_data):
        if "skills" in validated_data:
            validated_data["skills"] = Skill.objects.save_new(validated_data["skills"])
        return super().create(validated_data)

    def update(self, instance, validated_data):
        if "skills" in validated_data:
            validated_data["skills"] = Skill.objects.save_new(validated_data["skills"])
        return super().update(instance, validated_data)


class EmployeeViewSet(viewsets.ModelViewSet):
    """Employees. The list takes the list page's parameters: `q`, `location`, `sort`, and the slugs `badge`,
    `department` and `skill`."""

    queryset = Employee.objects.with_badges().select_related("department").prefetch_related("skills")
    serializer_class = EmployeeSerializer
    filter_backends = [DjangoFilterBackend]
    filterset_class = EmployeeFilter


class BadgeViewSet(viewsets.ModelViewSet):
    """The badge catalogue, on one page. Employees refer to badges by slug."""

    queryset = Badge.objects.all()
    serializer_class = BadgeSerializer
    lookup_field = "slug"
    pagination_class = None


# No ".json" suffix URLs: the format comes from the Accept header (or ?format=), one URL per resource.
router = routers.DefaultRouter()
router.include_format_suffixes = False
router.register("employees", EmployeeViewSet)
router.register("badges", BadgeViewSet)
