"""Every detection the runner applies, in order."""

from security.detections import bruteforce, legacy_auth, risky, spray
from security.detections import accounts, countries, mfa, travel

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
