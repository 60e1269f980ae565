import pytest
from cryptography.fernet import Fernet

from m365admin.lib import crypto


def test_it_round_trips_a_secret():
    token = crypto.encrypt("s3cret")
    assert token != "s3cret"
    assert crypto.decrypt(token) == "s3cret"


def test_it_decrypts_with_an_older_key_and_rotates_to_the_first(settings):
    old = Fernet.generate_key().decode()
    settings.FERNET_KEYS = [old]
    token = crypto.encrypt("s3cret")
    new = Fernet.generate_key().decode()
    settings.FERNET_KEYS = [new, old]
    assert crypto.decrypt(token) == "s3cret"
    rotated = crypto.rotate(token)
    settings.FERNET_KEYS = [new]
    assert crypto.decrypt(rotated) == "s3cret"


def test_it_says_what_to_do_when_no_key_fits(settings):
    token = crypto.encrypt("s3cret")
    settings.FERNET_KEYS = [Fernet.generate_key().decode()]
    with pytest.raises(crypto.SecretUnreadable, match="FERNET_KEYS"):
        crypto.decrypt(token)
