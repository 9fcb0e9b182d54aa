from django.contrib.auth.forms import AuthenticationForm


class LoginForm(AuthenticationForm):
    """The login form; after a wrong password the cursor waits in the password field."""

    def add_error(self, field, error):
        super().add_error(field, error)
        if field is None:
            self.fields["username"].widget.attrs.pop("autofocus", None)
            self.fields["password"].widget.attrs["autofocus"] = True
