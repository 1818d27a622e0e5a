def navigation_key(user):
    """All that base.html's navigation shows of a signed-in user: what names its cached rendering."""
    return (
        user.get_username(),
        user.is_staff,
        hasattr(user, "employee"),
        user.has_perm("employees.add_employee"),
    )


def navigation(request):
    """``navigation_key``: all that base.html's cached navigation shows of the signed-in user.

    Read in Python when the navigation is shown: through template lookups, a user without an employee record
    has the template engine list all of the user's attributes to tell a missing one from a failing property.
    """
    return {"navigation_key": lambda: navigation_key(request.user)}
