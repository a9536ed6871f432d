"""The attach page's forms: an upload, a Drive pick, and the Drive search box (GET)."""
from __future__ import annotations

from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import DateField, HiddenField, SelectField, StringField
from wtforms.validators import DataRequired, Length, Optional


class UploadForm(FlaskForm):
    file = FileField("File from your computer", validators=[FileRequired("Choose a file to upload.")],
                     render_kw={"accept": ".pdf,.png,.jpg,.jpeg,.gif,.tif,.tiff,application/pdf,image/*"})


class DriveForm(FlaskForm):
    file_id = HiddenField(validators=[DataRequired("Pick a file from the list of your Drive files.")])


class DriveSearchForm(FlaskForm):
    class Meta:
        csrf = False  # a GET search box

    q = StringField("Name contains", validators=[Optional(), Length(max=200)])
    type = SelectField("Type", choices=[("", "PDFs and images"), ("pdf", "PDFs"), ("image", "Images")],
                       validators=[Optional()])
    after = DateField("Modified after", validators=[Optional()])
