import ipaddress

from django.conf import settings


def client_ip(request):
    """The client's address, for the sign-in lockout.

    Behind TRUSTED_PROXY_COUNT proxies that each append the address they received the request from to
    X-Forwarded-For, the last that many entries were written by the proxies; the first of them is the client's
    address as the outermost proxy saw it. Anything to its left came from the client and is ignored. Without
    proxies, or with a header too short or not holding an address there, it is REMOTE_ADDR.
    """
    count = settings.TRUSTED_PROXY_COUNT
    forwarded = [address.strip() for address in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
    if count and len(forwarded) >= count:
        try:
            return str(ipaddress.ip_address(forwarded[-count]))
        except ValueError:
            pass
    return request.META.get("REMOTE_ADDR")
