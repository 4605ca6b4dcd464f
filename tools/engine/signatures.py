"""Pulumi's wire signatures, shared by the stand-in engine and the Python
tests (the provider's own copy is `wire::sig` in src/wire/value.rs)."""

# The key that marks an object as a special value.
SIG = "4dabf18193072939515e22adb298388d"
# The signature value of a secret.
SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270"
