"""``GET /V1.0/Invoices/entityInformation/fields``: the simulated Invoices field list.

One row per ``InvoiceModel`` property of the fixture (same names, same order). It is also what
the write side (``at_invoices``) checks bodies against: the type of each field and whether it is
read-only. Sources:

- read-only / writable: Autotask's SOAP Invoice entity as transcribed by AutotaskNET
  (``AutotaskNET/Entities/Invoice.cs``): only ``InvoiceNumber`` (string 100), ``WebServiceDate``
  and ``PaidDate`` are writable. ``invoiceStatus`` and ``invoiceTaxMethodExternalCode`` are REST
  only; they are taken as read-only. The REST entity page says "Can Update" without a per-field
  list we could read, so the REST flags are UNVERIFIED.
- not queryable: ``dueDate`` (REST entity page: "dueDate and taxRegionID cannot be queried").
- lengths: the SOAP list (invoiceNumber 100, comments 4000, orderNumber 20, taxRegionName 200);
  ``invoiceTaxMethodExternalCode``'s 100 is a guess.
- the answer's shape (``referenceEntityType`` "" and ``picklistValues`` null when not used,
  ``dataType`` "long"/"integer"/"string"/"datetime"/"boolean") follows a recorded Autotask
  answer (apigrate/autotask-restapi README); "double" for decimals is UNVERIFIED.
"""
from __future__ import annotations

from wisesync.simulator import at_data

# name, dataType, length, read-only, queryable, reference entity, picklist source
_INVOICE_FIELDS = [
    ("id", "long", 0, True, True, "", None),
    ("batchID", "integer", 0, True, True, "", None),
    ("comments", "string", 4000, True, True, "", None),
    ("companyID", "integer", 0, True, True, "Company", None),
    ("createDateTime", "datetime", 0, True, True, "", None),
    ("creatorResourceID", "integer", 0, True, True, "Resource", None),
    ("dueDate", "datetime", 0, True, False, "", None),
    ("fromDate", "datetime", 0, True, True, "", None),
    ("invoiceDateTime", "datetime", 0, True, True, "", None),
    ("invoiceEditorTemplateID", "integer", 0, True, True, "InvoiceTemplate", None),
    ("invoiceNumber", "string", 100, False, True, "", None),
    ("invoiceTotal", "double", 0, True, True, "", None),
    ("isVoided", "boolean", 0, True, True, "", None),
    ("orderNumber", "string", 20, True, True, "", None),
    ("paidDate", "datetime", 0, False, True, "", None),
    ("paymentTerm", "integer", 0, True, True, "", "PaymentTerms"),
    ("taxGroup", "integer", 0, True, True, "", "TaxRegions"),
    ("taxRegionName", "string", 200, True, True, "", None),
    ("toDate", "datetime", 0, True, True, "", None),
    ("totalTaxValue", "double", 0, True, True, "", None),
    ("voidedByResourceID", "integer", 0, True, True, "Resource", None),
    ("voidedDate", "datetime", 0, True, True, "", None),
    ("webServiceDate", "datetime", 0, False, True, "", None),
    ("invoiceStatus", "integer", 0, True, True, "", None),
    ("invoiceTaxMethodExternalCode", "string", 100, True, True, "", None),
]

# field name -> (dataType, length, read-only), for the write side
INVOICE_TYPES = {name: (kind, length, read_only)
                 for name, kind, length, read_only, *_ in _INVOICE_FIELDS}


def _picklist(source: str) -> list[dict]:
    names = {"PaymentTerms": [name for name, _ in at_data.PAYMENT_TERMS],
             "TaxRegions": [name for name, _ in at_data.TAX_REGIONS]}[source]
    return [{"value": str(at_data.BASE_IDS[source] + i), "label": label,
             "isDefaultValue": i == 0, "sortOrder": i, "parentValue": "", "isActive": True,
             "isSystem": False} for i, label in enumerate(names)]


def fields(entity: str) -> dict | None:
    """The ``FieldInformationResultModel`` for ``entity``, or None where none is simulated."""
    if entity != "Invoices":
        return None
    return {"fields": [
        {"name": name, "dataType": kind, "length": length, "isRequired": name == "id",
         "isReadOnly": read_only, "isQueryable": queryable, "isReference": bool(reference),
         "referenceEntityType": reference, "isPickList": picklist is not None,
         "picklistValues": _picklist(picklist) if picklist else None,
         "picklistParentValueField": "", "isSupportedWebhookField": False}
        for name, kind, length, read_only, queryable, reference, picklist in _INVOICE_FIELDS]}
