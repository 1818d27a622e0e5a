"""SCIM 2.0 provisioning (RFC 7643, RFC 7644) under /scim/v2/: the company's identity provider creates,
updates and deactivates employees as Users, with the enterprise extension's employee number, department and
manager.

Every write goes through employees/services.py. A User is read as a SCIM document (``user_resource``); a
request is turned into the document the employee should become (the body of a POST or PUT, the current
document with a PATCH's operations applied), and ``Provisioning.apply`` writes that document onto the
employee.
"""

import json
import logging
import re
import uuid

from django.contrib.auth.base_user import BaseUserManager
from django.core.exceptions import ValidationError
from django.core.validators import EmailValidator
from django.db import IntegrityError, transaction
from django.urls import path, re_path, reverse
from knox.auth import TokenAuthentication
from rest_framework import exceptions, status
from rest_framework.negotiation import BaseContentNegotiation
from rest_framework.parsers import JSONParser
from rest_framework.permissions import BasePermission
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from . import services
from .forms import PhoneField
from .models import Department, Employee, Location, unique_slug

logger = logging.getLogger(__name__)

MEDIA_TYPE = "application/scim+json"
USER = "urn:ietf:params:scim:schemas:core:2.0:User"
ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
LIST_RESPONSE = "urn:ietf:params:scim:api:messages:2.0:ListResponse"
ERROR = "urn:ietf:params:scim:api:messages:2.0:Error"
PATCH_OP = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
SERVICE_PROVIDER_CONFIG = "urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"
RESOURCE_TYPE = "urn:ietf:params:scim:schemas:core:2.0:ResourceType"
SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:Schema"

PROVISIONED = "Provisioned"
DEPROVISIONED = "Deprovisioned"
# Job title and location are required on every employee; someone provisioned without them shows this, and SCIM
# reads it back as no title, no address.
NOT_GIVEN = "Not given"
MAX_RESULTS = 200


class ScimError(exceptions.APIException):
    """An error SCIM's way: the HTTP status, a ``scimType`` where RFC 7644 §3.12 has one, and a detail."""

    def __init__(self, detail, scim_type=None, status_code=status.HTTP_400_BAD_REQUEST):
        super().__init__(detail)
        self.status_code, self.scim_type = status_code, scim_type


def invalid(detail):
    return ScimError(detail, "invalidValue")


def error_body(status_code, detail, scim_type=None):
    body = {"schemas": [ERROR], "status": str(status_code), "detail": str(detail)}
    if scim_type:
        body["scimType"] = scim_type
    return body


def scim_exception_handler(exc, context):
    """Every refusal in SCIM's error format (RFC 7644 §3.12), with the Bearer challenge on a 401."""
    if isinstance(exc, exceptions.APIException):
        scim_type = getattr(exc, "scim_type", None)
        if isinstance(exc, exceptions.ParseError):
            scim_type = "invalidSyntax"
        detail = exc.detail if isinstance(exc.detail, str) else json.dumps(exc.detail)
        response = Response(error_body(exc.status_code, detail, scim_type), status=exc.status_code)
        if getattr(exc, "auth_header", None):
            response["WWW-Authenticate"] = exc.auth_header
        return response
    if isinstance(exc, Employee.DoesNotExist):
        return Response(error_body(404, "No such User."), status=404)
    return None


# Authentication and content


class BearerTokenAuthentication(TokenAuthentication):
    """django-rest-knox's hashed tokens, sent as ``Authorization: Bearer <token>``, as providers do."""

    def authenticate_header(self, request):
        return "Bearer"


class CanProvision(BasePermission):
    message = "This account may not provision employees."

    def has_permission(self, request, view):
        return request.user.has_perm("employees.provision_employee")


class ScimRenderer(JSONRenderer):
    media_type = MEDIA_TYPE


class ScimParser(JSONParser):
    """JSON, as application/scim+json or application/json; nesting too deep to parse is a syntax error."""

    media_type = MEDIA_TYPE

    def parse(self, stream, media_type=None, parser_context=None):
        try:
            return super().parse(stream, media_type, parser_context)
        except RecursionError as error:
            raise exceptions.ParseError("The JSON is nested too deeply.") from error


class JSONBodyParser(ScimParser):
    media_type = "application/json"


class AlwaysScim(BaseContentNegotiation):
    """Answer application/scim+json whatever Accept says: providers send */*, application/json or nothing."""

    def select_parser(self, request, parsers):
        media_type = request.content_type.split(";")[0].strip().lower()
        return next((parser for parser in parsers if parser.media_type == media_type), None)

    def select_renderer(self, request, renderers, format_suffix=None):
        return renderers[0], renderers[0].media_type


class ScimView(APIView):
    authentication_classes = [BearerTokenAuthentication]
    permission_classes = [CanProvision]
    parser_classes = [ScimParser, JSONBodyParser]
    renderer_classes = [ScimRenderer]
    content_negotiation_class = AlwaysScim
    throttle_classes = []
    schema = None  # SCIM describes itself at /scim/v2/Schemas, not in the REST API's OpenAPI document

    def get_exception_handler(self):
        return scim_exception_handler

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        # The request log line carries the account's id; this one names the provisioning client.
        user = getattr(request, "_user", None)
        client = user.get_username() if user is not None and user.is_authenticated else None
        fields = {"scim_client": client, "method": request.method, "path": request.path}
        fields["status"] = response.status_code
        logger.info("SCIM %(method)s %(path)s %(status)s by %(scim_client)s", fields, extra=fields)
        return response

    def location(self, name, *args):
        return self.request.build_absolute_uri(reverse(f"scim:{name}", args=args))

    def body(self):
        data = self.request.data
        if not isinstance(data, dict):
            raise ScimError("The body must be a JSON object.", "invalidSyntax")
        return data


# Reading: an employee as a SCIM User


def user_resource(employee, location):
    """The SCIM document of ``employee``; ``location(name, *args)`` makes an absolute URL."""
    resource = {
        "schemas": [USER],
        "id": str(employee.pk),
        "userName": employee.user_name or employee.work_email or str(employee.pk),
        "name": {"formatted": employee.full_name},
        "displayName": employee.full_name,
        "active": not employee.has_left,
    }
    if employee.external_id:
        resource["externalId"] = employee.external_id
    if employee.job_title != NOT_GIVEN:
        resource["title"] = employee.job_title
    if employee.work_email:
        resource["emails"] = [{"value": employee.work_email, "type": "work"}]
    phones = [(kind, number) for kind, number in [("work", employee.work_phone), ("mobile", employee.mobile)]]
    if any(number for _, number in phones):
        resource["phoneNumbers"] = [{"value": str(number), "type": kind} for kind, number in phones if number]
    if employee.location_id != NOT_GIVEN:
        resource["addresses"] = [{"type": "work", "locality": employee.location_id}]
    enterprise = enterprise_attributes(employee, location)
    if enterprise:
        resource["schemas"].append(ENTERPRISE)
        resource[ENTERPRISE] = enterprise
    resource["meta"] = {
        "resourceType": "User",
        "created": employee.created_at.isoformat(),
        "lastModified": employee.updated_at.isoformat(),
        "location": location("user", employee.pk),
        "version": etag(employee.version),
    }
    return resource


def enterprise_attributes(employee, location):
    """The enterprise extension's attributes ``employee`` has: employee number, department and manager."""
    enterprise = {}
    if employee.employee_number:
        enterprise["employeeNumber"] = employee.employee_number
    if employee.department_id:
        enterprise["department"] = employee.department.name
    if employee.manager_id:
        enterprise["manager"] = {
            "value": str(employee.manager_id),
            "$ref": location("user", employee.manager_id),
        }
    return enterprise


def etag(version):
    return f'W/"{version}"'


def selected(resource, attributes, excluded):
    """``resource`` with only the ``attributes`` asked for, or without the ``excluded`` ones (RFC 7644 §3.9);
    its schemas and id always."""
    if not attributes and not excluded:
        return resource

    names, keep = set(attributes or excluded), bool(attributes)

    def named(key):
        return key.lower() in names

    kept = {}
    for key, value in resource.items():
        if key in ("schemas", "id"):
            kept[key] = value
        elif key == ENTERPRISE:
            if named(key):
                inner = value if keep else {}
            else:
                inner = {sub: item for sub, item in value.items() if named(f"{ENTERPRISE}:{sub}") == keep}
            if inner:
                kept[key] = inner
        elif named(key) == keep:
            kept[key] = value
    return kept


def attribute_names(text):
    """Lower-case names from an ``attributes`` parameter; dotted sub-attributes select their parent."""
    if text is None or text == "":
        return []
    if not isinstance(text, str):
        raise invalid("attributes must be a comma-separated string.")
    names = []
    for piece in text.split(","):
        name = piece.strip().lower().removeprefix(USER.lower() + ":")
        if name.startswith(ENTERPRISE.lower() + ":"):
            name = ENTERPRISE.lower() + ":" + name[len(ENTERPRISE) + 1 :].split(".")[0]
        elif name != ENTERPRISE.lower():
            name = name.split(".")[0]
        names.append(name)
    return names


# Filters: the few a provider sends to find someone before creating them


FILTER = re.compile(
    r'^\s*(?P<attribute>[A-Za-z][\w.:\[\]" -]*?)\s+eq\s+"(?P<value>(?:[^"\\]|\\.)*)"\s*$', re.IGNORECASE
)
FILTERABLE = {
    "username": "userName",
    f"{USER.lower()}:username": "userName",
    "externalid": "externalId",
    "id": "id",
    "emails.value": "email",
    'emails[type eq "work"].value': "email",
    "emails[type eq work].value": "email",
}


def filtered(employees, text):
    """``employees`` matching the filter ``text``: ``userName``, ``externalId``, ``id`` or the work email
    (``emails[type eq "work"].value``), each with ``eq``. Someone made by hand, with no sign-in name yet, has
    their work email as userName: the provider finds and adopts them rather than making them twice."""
    match = FILTER.match(text) if len(text) <= 1000 and "\x00" not in text else None
    if match is None:
        raise ScimError(f"Unsupported filter: {text[:200]}", "invalidFilter")
    attribute = FILTERABLE.get(" ".join(match["attribute"].split()).lower())
    if attribute is None:
        raise ScimError(f"Filtering on {match['attribute'][:100]} is not supported.", "invalidFilter")
    try:
        value = json.loads(f'"{match["value"]}"')
    except ValueError as error:
        raise ScimError(f"Unsupported filter: {text[:200]}", "invalidFilter") from error
    if attribute == "userName":
        return employees.with_user_name(value)
    if attribute == "externalId":
        return employees.filter(external_id=value)
    if attribute == "email":
        return employees.with_work_email(value)
    try:
        return employees.filter(pk=uuid.UUID(value))
    except ValueError:
        return employees.none()


def whole_number(value, name, default):
    if value is None or value == "":
        return default
    try:
        return int(value)
    except (TypeError, ValueError) as error:
        raise invalid(f"{name} must be a whole number.") from error


# Writing: a SCIM document onto an employee


def text(value, name, max_length, required=False):
    """A string attribute as stored: trimmed, no NUL, not longer than its column."""
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise invalid(f"{name} must be a string.")
    value = value.strip()
    if "\x00" in value:
        raise invalid(f"{name} contains a NUL character.")
    if len(value) > max_length:
        raise invalid(f"{name} is longer than {max_length} characters.")
    if required and not value:
        raise invalid(f"{name} is required.")
    return value


def max_length(field):
    return Employee._meta.get_field(field).max_length


def boolean(value, name):
    """A boolean, or the strings "True" and "False" Entra ID sends."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    raise invalid(f"{name} must be true or false.")


def items(resource, name):
    """The multi-valued attribute ``name`` of ``resource``: a list of objects."""
    value = resource.get(name)
    if value is None:
        return []
    if isinstance(value, dict):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(item, dict) for item in value):
        raise invalid(f"{name} must be a list of objects.")
    return value


def of_type(values, kind, untyped=False):
    """The first value of type ``kind``, or else, when ``untyped``, the first with no type."""
    typed = [item for item in values if str(item.get("type") or "").lower() == kind]
    if untyped:
        typed += [item for item in values if not item.get("type")]
    return typed[0] if typed else None


def complex_value(resource, name):
    value = resource.get(name)
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise invalid(f"{name} must be an object.")
    return value


def full_name(resource, before):
    """The name the document gives: displayName, name.formatted, or name.givenName and name.familyName; in a
    PATCH whichever of them changed."""
    name = complex_value(resource, "name")
    limit = max_length("full_name")
    display = text(resource.get("displayName"), "displayName", limit)
    formatted = text(name.get("formatted"), "name.formatted", limit)
    given = " ".join(
        text(name.get(part), f"name.{part}", limit) for part in ("givenName", "middleName", "familyName")
    )
    parts = " ".join(given.split())
    if before is not None:
        changed = [value for value in (display, formatted) if value and value != before["displayName"]]
        # A PATCH's name.givenName and name.familyName: the document read back has neither.
        return (changed or [parts or display or formatted])[0]
    return display or formatted or parts


class Provisioning:
    """Write a SCIM User document onto an employee, through employees/services.py, as ``client``."""

    def __init__(self, client):
        self.client = client

    def apply(self, employee, resource, before=None, keep_missing=True):
        """Write ``resource`` onto ``employee`` (new or locked), ``before`` being its document before a PATCH.
        Job title and location missing from a POST or PUT keep their value (``keep_missing``); a new employee
        gets NOT_GIVEN."""
        self.set_fields(employee, resource, before, keep_missing)
        active = boolean(resource.get("active", True), "active")
        adding = employee._state.adding
        try:
            with transaction.atomic():
                self.check_unique(employee)
                if adding:
                    services.save_employee(employee, user=self.client, reason=PROVISIONED)
                    if not active:
                        services.mark_as_left(employee, user=self.client)
                elif active != employee.has_left:
                    services.save_employee(employee, user=self.client, reason=PROVISIONED)
                elif active:
                    services.return_to_company(employee, user=self.client)
                else:
                    services.mark_as_left(employee, user=self.client)
        except IntegrityError as error:
            # Someone took the sign-in name, id or work email between the check and the save.
            raise ScimError(
                "Another employee already has this userName, externalId or work email.",
                "uniqueness",
                status.HTTP_409_CONFLICT,
            ) from error
        return employee

    def set_fields(self, employee, resource, before, keep_missing):
        resource = canonical(resource)
        employee.user_name = text(
            resource.get("userName"), "userName", max_length("user_name"), required=True
        )
        employee.external_id = text(resource.get("externalId"), "externalId", max_length("external_id"))
        name = text(full_name(resource, before), "name", max_length("full_name"))
        employee.full_name = name or employee.full_name or employee.user_name[: max_length("full_name")]
        title = text(resource.get("title"), "title", max_length("job_title"))
        employee.job_title = title or (keep_missing and employee.job_title) or NOT_GIVEN
        address = of_type(items(resource, "addresses"), "work", untyped=True) or {}
        locality = text(
            address.get("locality"), "addresses.locality", Location._meta.get_field("name").max_length
        )
        if locality or not (keep_missing and employee.location_id):
            employee.location = Location.objects.for_name(locality or NOT_GIVEN)
        emails = items(resource, "emails")
        primary = next((item for item in emails if item.get("primary") is True), None)
        email = of_type(emails, "work", untyped=True) or primary
        employee.work_email = self.email((email or {}).get("value"))
        phones = items(resource, "phoneNumbers")
        employee.work_phone = self.phone((of_type(phones, "work", untyped=True) or {}).get("value"), "work")
        employee.mobile = self.phone((of_type(phones, "mobile") or {}).get("value"), "mobile")
        enterprise = complex_value(resource, ENTERPRISE)
        employee.employee_number = text(
            enterprise.get("employeeNumber"), "employeeNumber", max_length("employee_number")
        )
        employee.department = self.department(enterprise.get("department"))
        employee.manager_id = self.manager(employee, enterprise.get("manager"))

    @staticmethod
    def email(value):
        email = text(value, "emails.value", Employee._meta.get_field("work_email").max_length)
        if email:
            try:
                EmailValidator()(email)
            except ValidationError as error:
                raise invalid(f"{email} is not an email address.") from error
        return BaseUserManager.normalize_email(email)

    @staticmethod
    def phone(value, kind):
        number = text(value, f"phoneNumbers[type eq {kind}].value", 64)
        try:
            return PhoneField(required=False).clean(number.removeprefix("tel:"))
        except ValidationError as error:
            raise invalid(f"{number} is not a phone number: {' '.join(error.messages)}") from error

    @staticmethod
    def department(value):
        name = " ".join(text(value, "department", Department._meta.get_field("name").max_length).split())
        if not name:
            return None
        found = (
            Department.objects.filter(name=name).first()
            or Department.objects.filter(name__iexact=name).first()
        )
        if found is not None:
            return found
        # get_or_create: a provider sends several new people of one new department at once.
        slug = unique_slug(Department, name, "department")
        return Department.objects.get_or_create(name=name, defaults={"slug": slug})[0]

    @staticmethod
    def manager(employee, value):
        if isinstance(value, dict):
            value = value.get("value") or str(value.get("$ref") or "").rstrip("/").rsplit("/", 1)[-1]
        value = text(value, "manager.value", 100)
        if not value:
            return None
        try:
            manager_id = uuid.UUID(value)
        except ValueError as error:
            raise invalid(f"No User has the id {value}.") from error
        if not Employee.objects.provisioned().filter(pk=manager_id).exists():
            raise invalid(f"No User has the id {value}.")
        try:
            employee.check_manager(manager_id)
        except ValidationError as error:
            raise invalid(" ".join(error.messages)) from error
        return manager_id

    @staticmethod
    def check_unique(employee):
        others = Employee.objects.exclude(pk=employee.pk)
        taken = [
            ("userName", others.exclude(user_name="").with_user_name(employee.user_name)),
            ("externalId", employee.external_id and others.filter(external_id=employee.external_id)),
            ("work email", employee.work_email and others.with_work_email(employee.work_email)),
        ]
        for name, found in taken:
            if found and found.exists():
                raise ScimError(
                    f"Another employee already has this {name}.", "uniqueness", status.HTTP_409_CONFLICT
                )


# PATCH (RFC 7644 §3.5.2) as Entra ID and Okta send it


# The attributes this directory keeps; any other is ignored, as RFC 7644 §3.3 allows.
USER_ATTRIBUTES = [
    "userName",
    "externalId",
    "name",
    "displayName",
    "title",
    "active",
    "emails",
    "phoneNumbers",
]
USER_ATTRIBUTES += ["addresses"]
SUB_ATTRIBUTES = [
    "formatted",
    "givenName",
    "middleName",
    "familyName",
    "value",
    "type",
    "primary",
    "locality",
]
SUB_ATTRIBUTES += ["$ref"]
ENTERPRISE_ATTRIBUTES = ["employeeNumber", "department", "manager"]
MULTI_VALUED = {"emails", "phoneNumbers", "addresses"}
NAMES = {name.lower(): name for name in [*USER_ATTRIBUTES, *ENTERPRISE_ATTRIBUTES, *SUB_ATTRIBUTES]}

PATH = re.compile(
    r"^(?P<attribute>[A-Za-z$][\w$-]*)(?:\[(?P<filter>[^\]]*)\])?(?:\.(?P<sub>[A-Za-z$][\w$-]*))?$"
)
VALUE_FILTER = re.compile(r'^\s*(?P<attribute>[A-Za-z$][\w$]*)\s+eq\s+"(?P<value>[^"]*)"\s*$', re.IGNORECASE)


def canonical(resource):
    """``resource`` with attribute names spelt as SCIM spells them: they are case-insensitive (RFC 7643 §2.1),
    and the enterprise extension's may come as one object or as URN-prefixed names."""
    result = {}
    for key, value in resource.items():
        if not isinstance(key, str):
            continue
        if key.lower() == ENTERPRISE.lower():
            if isinstance(value, dict):
                result.setdefault(ENTERPRISE, {}).update(
                    {NAMES.get(sub.lower(), sub): sub_value for sub, sub_value in value.items()}
                )
            else:
                raise invalid(f"{ENTERPRISE} must be an object.")
        elif key.lower().startswith(ENTERPRISE.lower() + ":"):
            name = key[len(ENTERPRISE) + 1 :]
            result.setdefault(ENTERPRISE, {})[NAMES.get(name.lower(), name)] = value
        else:
            name = key.removeprefix(USER + ":") if key.lower().startswith(USER.lower() + ":") else key
            name = NAMES.get(name.lower(), name)
            if isinstance(value, dict) and name != "meta":
                value = {NAMES.get(sub.lower(), sub): sub_value for sub, sub_value in value.items()}
            elif isinstance(value, list):
                value = [
                    {NAMES.get(sub.lower(), sub): sub_value for sub, sub_value in item.items()}
                    if isinstance(item, dict)
                    else item
                    for item in value
                ]
            result[name] = value
    return result


class Patch:
    """The operations of a PatchOp request, applied to a User document (a dict)."""

    def __init__(self, body):
        operations = body.get("Operations", body.get("operations"))
        if not isinstance(operations, list) or not operations:
            raise ScimError("A PatchOp needs a list of Operations.", "invalidSyntax")
        self.operations = operations

    def apply(self, resource):
        resource = canonical(resource)
        for operation in self.operations:
            if not isinstance(operation, dict):
                raise ScimError("Each operation must be an object.", "invalidSyntax")
            op = str(operation.get("op", "")).lower()
            if op not in ("add", "replace", "remove"):
                raise ScimError(f"Unknown operation {str(operation.get('op'))[:20]}.", "invalidSyntax")
            target, value = operation.get("path"), operation.get("value")
            if target is None or target == "":
                if op == "remove":
                    raise ScimError("A remove operation needs a path.", "noTarget")
                if not isinstance(value, dict):
                    raise invalid("An operation without a path needs an object as its value.")
                for key, sub_value in value.items():
                    if (
                        isinstance(key, str)
                        and key.lower() == ENTERPRISE.lower()
                        and isinstance(sub_value, dict)
                    ):
                        for sub, enterprise_value in sub_value.items():
                            self.apply_one(resource, op, f"{ENTERPRISE}:{sub}", enterprise_value)
                    else:
                        self.apply_one(resource, op, key, sub_value)
            else:
                self.apply_one(resource, op, target, value)
        return resource

    def apply_one(self, resource, op, target, value):
        if not isinstance(target, str) or "\x00" in target or len(target) > 500:
            raise ScimError("The path is not a string SCIM understands.", "invalidPath")
        container = resource
        if target.lower() == ENTERPRISE.lower():
            self.apply_extension(resource, op, value)
            return
        if target.lower().startswith(ENTERPRISE.lower() + ":"):
            target = target[len(ENTERPRISE) + 1 :]
            container = resource.setdefault(ENTERPRISE, {})
        elif target.lower().startswith(USER.lower() + ":"):
            target = target[len(USER) + 1 :]
        match = PATH.match(target)
        if match is None:
            raise ScimError(f"Unsupported path: {target[:200]}", "invalidPath")
        attribute = NAMES.get(match["attribute"].lower())
        if attribute is None:
            return  # an attribute this directory does not keep
        sub = match["sub"] and NAMES.get(match["sub"].lower(), match["sub"])
        if match["filter"] is not None:
            self.apply_filtered(container, op, attribute, match["filter"], sub, value)
        elif sub:
            self.apply_sub(container, op, attribute, sub, value)
        elif op == "remove":
            container.pop(attribute, None)
        elif attribute in MULTI_VALUED:
            self.apply_multi_valued(container, op, attribute, value)
        elif isinstance(value, dict) and isinstance(container.get(attribute), dict):
            container[attribute] = {**container[attribute], **canonical(value)}
        else:
            container[attribute] = canonical(value) if isinstance(value, dict) else value

    @staticmethod
    def apply_extension(resource, op, value):
        """An operation on the whole enterprise extension."""
        if op == "remove":
            resource.pop(ENTERPRISE, None)
        elif isinstance(value, dict):
            resource.setdefault(ENTERPRISE, {}).update(canonical({ENTERPRISE: value})[ENTERPRISE])
        else:
            raise invalid(f"{ENTERPRISE} must be an object.")

    @staticmethod
    def apply_multi_valued(container, op, attribute, value):
        """Replace a list of emails, phones or addresses, or add to it (an added type replaces its kind)."""
        new = value if isinstance(value, list) else [value]
        if not all(isinstance(item, dict) for item in new):
            raise invalid(f"{attribute} must be a list of objects.")
        new = [canonical(item) for item in new]
        if op == "add":
            kinds = {str(item.get("type") or "").lower() for item in new}
            kept = [
                item
                for item in items(container, attribute)
                if str(item.get("type") or "").lower() not in kinds
            ]
            new = kept + new
        container[attribute] = new

    @staticmethod
    def apply_sub(container, op, attribute, sub, value):
        if attribute in MULTI_VALUED:
            values = items(container, attribute)
            if op == "remove":
                for item in values:
                    item.pop(sub, None)
            elif values:
                for item in values:
                    item[sub] = value
            else:
                container[attribute] = [{sub: value}]
            return
        parent = container.get(attribute)
        if parent is not None and not isinstance(parent, dict):
            parent = {"value": parent}
        parent = dict(parent or {})
        if op == "remove":
            parent.pop(sub, None)
        else:
            parent[sub] = value
        container[attribute] = parent

    @staticmethod
    def apply_filtered(container, op, attribute, text, sub, value):
        match = VALUE_FILTER.match(text)
        if match is None or attribute not in MULTI_VALUED:
            raise ScimError(f"Unsupported path filter: {text[:200]}", "invalidPath")
        key, expected = NAMES.get(match["attribute"].lower(), match["attribute"]), match["value"].lower()
        values = items(container, attribute)
        matching = [item for item in values if str(item.get(key) or "").lower() == expected]
        if op == "remove":
            if sub:
                for item in matching:
                    item.pop(sub, None)
            else:
                container[attribute] = [item for item in values if item not in matching]
            return
        if not matching:
            matching = [{key: match["value"]}]
            values.append(matching[0])
        for item in matching:
            if sub:
                item[sub] = value
            elif isinstance(value, dict):
                item.update(canonical(value))
            else:
                raise invalid(f"{attribute} values must be objects.")
        container[attribute] = values


# Views


def if_match(request):
    """The version an If-Match header names (W/"3" or "3"), or None without one."""
    header = request.headers.get("If-Match")
    if not header or header.strip() == "*":
        return None
    found = re.fullmatch(r'\s*(?:W/)?"?(\d{1,9})"?\s*', header)
    if found is None:
        raise ScimError("This version does not match the User's.", status_code=412)
    return int(found[1])


class Users(ScimView):
    """GET: the Users, filtered and paginated (RFC 7644 §3.4.2); POST: a new one (§3.3)."""

    def get(self, request):
        return self.search(request.query_params)

    def search(self, params):
        employees = Employee.objects.provisioned()
        if params.get("filter"):
            if not isinstance(params["filter"], str):
                raise ScimError("filter must be a string.", "invalidFilter")
            employees = filtered(employees, params["filter"])
        start = max(whole_number(params.get("startIndex"), "startIndex", 1), 1)
        count = min(max(whole_number(params.get("count"), "count", MAX_RESULTS), 0), MAX_RESULTS)
        total = employees.count()
        page = list(employees[start - 1 : start - 1 + count]) if start <= total and count else []
        attributes = attribute_names(params.get("attributes"))
        excluded = attribute_names(params.get("excludedAttributes"))
        return Response(
            {
                "schemas": [LIST_RESPONSE],
                "totalResults": total,
                "startIndex": start,
                "itemsPerPage": len(page),
                "Resources": [
                    selected(user_resource(employee, self.location), attributes, excluded)
                    for employee in page
                ],
            }
        )

    def post(self, request):
        resource = canonical(self.body())
        name = text(resource.get("userName"), "userName", max_length("user_name"), required=True)
        provisioning = Provisioning(request.user)
        with transaction.atomic():
            # Someone made by hand before provisioning began, whose work email is this userName: adopt them.
            adopted = (
                Employee.objects.provisioned()
                .filter(user_name="")
                .with_user_name(name)
                .select_for_update(of=("self",))
                .first()
            )
            if adopted is None:
                employee = provisioning.apply(Employee(), resource)
            else:
                before = user_resource(adopted, self.location)
                enterprise = {**before.get(ENTERPRISE, {}), **resource.get(ENTERPRISE, {})}
                merged = {**before, **resource, ENTERPRISE: enterprise}
                employee = provisioning.apply(adopted, merged, before)
        return self.created(employee)

    def created(self, employee):
        employee = Employee.objects.provisioned().get(pk=employee.pk)
        response = Response(user_resource(employee, self.location), status=status.HTTP_201_CREATED)
        response["Location"] = self.location("user", employee.pk)
        response["ETag"] = etag(employee.version)
        return response


class UsersSearch(Users):
    """POST /Users/.search: the query of a GET, as a SearchRequest body (RFC 7644 §3.4.3)."""

    def post(self, request):
        return self.search(self.body())


class User(ScimView):
    """One User: GET, PUT (replace), PATCH and DELETE (RFC 7644 §3.4.1, §3.5, §3.6)."""

    def employee(self, pk):
        try:
            return Employee.objects.provisioned().get(pk=uuid.UUID(pk))
        except ValueError as error:
            raise Employee.DoesNotExist from error

    def answer(self, employee):
        employee = Employee.objects.provisioned().get(pk=employee.pk)
        response = Response(
            selected(
                user_resource(employee, self.location),
                attribute_names(self.request.query_params.get("attributes")),
                attribute_names(self.request.query_params.get("excludedAttributes")),
            )
        )
        response["ETag"] = etag(employee.version)
        return response

    def get(self, request, pk):
        return self.answer(self.employee(pk))

    def locked(self, pk):
        """The employee ``pk``, its row locked until the transaction ends, at the version If-Match names."""
        employee = self.employee(pk)
        try:
            services.lock(employee.pk, if_match(self.request))
        except Employee.EditConflict as error:
            raise ScimError("The User changed since this version.", status_code=412) from error
        return self.employee(pk)

    def put(self, request, pk):
        resource = self.body()
        with transaction.atomic():
            employee = self.locked(pk)
            Provisioning(request.user).apply(employee, resource)
        return self.answer(employee)

    def patch(self, request, pk):
        patch = Patch(self.body())
        with transaction.atomic():
            employee = self.locked(pk)
            before = user_resource(employee, self.location)
            resource = patch.apply(json.loads(json.dumps(before)))
            Provisioning(request.user).apply(employee, resource, before, keep_missing=False)
        return self.answer(employee)

    def delete(self, request, pk):
        """Keep the person as a leaver, with their history, and forget the provider's names for them: the
        User is gone (404) from then on."""
        with transaction.atomic():
            employee = self.locked(pk)
            employee.user_name = employee.external_id = ""
            if employee.has_left:
                services.save_employee(employee, user=request.user, reason=DEPROVISIONED)
            else:
                services.mark_as_left(employee, user=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


# Discovery (RFC 7644 §4, RFC 7643 §5-§7)


def attribute(name, kind="string", description="", **options):
    definition = {
        "name": name,
        "type": kind,
        "multiValued": False,
        "description": description,
        "required": False,
        "caseExact": False,
        "mutability": "readWrite",
        "returned": "default",
        "uniqueness": "none",
    }
    definition.update(options)
    if kind == "complex":
        for key in ("caseExact", "uniqueness"):
            definition.pop(key, None)
    return definition


def typed(name, description, kinds, value_description):
    return attribute(
        name,
        "complex",
        description,
        multiValued=True,
        subAttributes=[
            attribute("value", description=value_description),
            attribute("type", description="The kind of value.", canonicalValues=kinds),
        ],
    )


USER_SCHEMA = {
    "id": USER,
    "name": "User",
    "description": "An employee of the directory.",
    "attributes": [
        attribute(
            "userName",
            description="The name the person signs in with at the identity provider, unique in any case.",
            required=True,
            uniqueness="server",
        ),
        attribute(
            "name",
            "complex",
            "The full name. name.givenName and name.familyName are accepted too, joined as the full name.",
            subAttributes=[attribute("formatted", description="The full name.")],
        ),
        attribute("displayName", description="The full name, as the directory shows it.", required=True),
        attribute("title", description=f"The job title; “{NOT_GIVEN}” in the directory when not given."),
        attribute("active", "boolean", "False once the person has left the company."),
        typed("emails", "The work email (type work).", ["work"], "The email address."),
        typed(
            "phoneNumbers",
            "The work phone (type work) and mobile (type mobile).",
            ["work", "mobile"],
            "The number, with + and its country code.",
        ),
        attribute(
            "addresses",
            "complex",
            "The work address, of which the directory keeps the city as the location.",
            multiValued=True,
            subAttributes=[
                attribute(
                    "locality",
                    description="The city or office where the person works: a location of the directory's, "
                    "whatever its case; a new name makes a new location.",
                ),
                attribute("type", description="The kind of address.", canonicalValues=["work"]),
            ],
        ),
    ],
}
ENTERPRISE_SCHEMA = {
    "id": ENTERPRISE,
    "name": "EnterpriseUser",
    "description": "Enterprise User",
    "attributes": [
        attribute("employeeNumber", description="The employee number."),
        attribute("department", description="The department's name; a new name makes a new department."),
        attribute(
            "manager",
            "complex",
            "The User this one reports to.",
            subAttributes=[
                attribute("value", description="The manager's id.", caseExact=True),
                attribute("$ref", "reference", "The manager's URI.", referenceTypes=["User"], caseExact=True),
            ],
        ),
    ],
}
SCHEMAS = {USER: USER_SCHEMA, ENTERPRISE: ENTERPRISE_SCHEMA}


def listed(resources):
    return {
        "schemas": [LIST_RESPONSE],
        "totalResults": len(resources),
        "startIndex": 1,
        "itemsPerPage": len(resources),
        "Resources": resources,
    }


class ServiceProviderConfig(ScimView):
    def get(self, request):
        return Response(
            {
                "schemas": [SERVICE_PROVIDER_CONFIG],
                "patch": {"supported": True},
                "bulk": {"supported": False, "maxOperations": 0, "maxPayloadSize": 0},
                "filter": {"supported": True, "maxResults": MAX_RESULTS},
                "changePassword": {"supported": False},
                "sort": {"supported": False},
                "etag": {"supported": True},
                "authenticationSchemes": [
                    {
                        "type": "oauthbearertoken",
                        "name": "Bearer token",
                        "description": "Authorization: Bearer <token>, a token made by create_scim_token.",
                        "primary": True,
                    }
                ],
                "meta": {"resourceType": "ServiceProviderConfig", "location": self.location("config")},
            }
        )


class ResourceTypes(ScimView):
    def user_type(self):
        return {
            "schemas": [RESOURCE_TYPE],
            "id": "User",
            "name": "User",
            "endpoint": "/Users",
            "description": "Employees",
            "schema": USER,
            "schemaExtensions": [{"schema": ENTERPRISE, "required": False}],
            "meta": {"resourceType": "ResourceType", "location": self.location("resource-type", "User")},
        }

    def get(self, request, name=None):
        if name is None:
            return Response(listed([self.user_type()]))
        if name != "User":
            raise ScimError("No such resource type.", status_code=404)
        return Response(self.user_type())


class Schemas(ScimView):
    def described(self, urn):
        meta = {"resourceType": "Schema", "location": self.location("schema", urn)}
        return {"schemas": [SCHEMA], **SCHEMAS[urn], "meta": meta}

    def get(self, request, urn=None):
        if urn is None:
            return Response(listed([self.described(urn) for urn in SCHEMAS]))
        if urn not in SCHEMAS:
            raise ScimError("No such schema.", status_code=404)
        return Response(self.described(urn))


class NotFound(ScimView):
    """Any other address under /scim/v2/: SCIM's 404, and 501 for a search across resource types."""

    def refuse(self, request, *args, **kwargs):
        if request.path.endswith("/.search"):
            raise ScimError("Search across resource types is not supported.", status_code=501)
        raise ScimError("No such address.", status_code=404)

    get = post = put = patch = delete = refuse


app_name = "scim"
urlpatterns = [
    path("ServiceProviderConfig", ServiceProviderConfig.as_view(), name="config"),
    path("ResourceTypes", ResourceTypes.as_view(), name="resource-types"),
    path("ResourceTypes/<str:name>", ResourceTypes.as_view(), name="resource-type"),
    path("Schemas", Schemas.as_view(), name="schemas"),
    path("Schemas/<str:urn>", Schemas.as_view(), name="schema"),
    path("Users", Users.as_view(), name="users"),
    path("Users/.search", UsersSearch.as_view(), name="search"),
    path("Users/<str:pk>", User.as_view(), name="user"),
    re_path(r"^.*$", NotFound.as_view()),
]
