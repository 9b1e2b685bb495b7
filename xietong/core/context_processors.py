from . import scope


def shell(request):
    """What the navigation bar needs: visible partnerships and which menus to show."""
    user = getattr(request, "user", None)
    if not user or not user.is_authenticated:
        return {}
    g = scope.grants(user)
    return {
        "nav_partnerships": scope.partnerships(user),
        "current_partnership": getattr(request, "partnership", None),
        "nav": {
            "internal": g.internal or g.admin,
            "conference": g.internal or g.admin,
            "programmes": g.admin,
            "regions": g.admin or bool(g.manage_programmes),
            "people": g.admin or g.internal,
            "audit": scope.can_read_audit(user),
            "pairs": not (g.auditor and not (g.admin or g.internal or g.read_regions)),
        },
    }
