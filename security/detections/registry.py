"""Every detection the runner applies, in order."""

from security.detections import (
    accounts,
    bruteforce,
    countries,
    legacy_auth,
    mfa,
    risky,
    spray,
    travel,
)

DETECTIONS = [
    legacy_auth.detect,
    risky.detect,
    bruteforce.detect,
    spray.detect,
    travel.detect,
    countries.detect,
    mfa.detect,
    accounts.detect,
]
