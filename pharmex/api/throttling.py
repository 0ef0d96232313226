from rest_framework.throttling import SimpleRateThrottle


class PrincipalRateThrottle(SimpleRateThrottle):
    """One budget per principal: an API key, a user, or (anonymous) a client address."""

    def get_rate(self):  # the scope depends on the request, so pick the rate late
        return None

    def allow_request(self, request, view) -> bool:
        self.scope = "principal" if request.user and request.user.is_authenticated else "anon"
        self.rate = self.THROTTLE_RATES.get(self.scope)
        self.num_requests, self.duration = self.parse_rate(self.rate)
        return super().allow_request(request, view)

    def get_cache_key(self, request, view) -> str:
        # An API-key request's user is accounts.authentication.ApiKeyUser (pk None): budget by the key itself.
        api_key = getattr(request.user, "api_key", None)
        if api_key is not None:
            ident = f"key:{api_key.pk}"
        elif request.user and request.user.is_authenticated:
            ident = f"user:{request.user.pk}"
        else:
            ident = f"ip:{self.get_ident(request)}"
        return f"throttle:{self.scope}:{ident}"


class AuthRateThrottle(SimpleRateThrottle):
    """A tighter budget per client address for login, token refresh and registration."""

    scope = "auth"

    def get_cache_key(self, request, view) -> str:
        return f"throttle:auth:{self.get_ident(request)}"
