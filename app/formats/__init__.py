"""File formats Morrow reads and writes, with no database and no request.

- `vcard`: writing vCard 3.0 (a person, the owner's card, the compact QR
  payload) and `ParsedCard`, what every reader produces;
- `vcard_read`: reading vCard 2.1, 3.0 and 4.0 files and QR texts (vCard,
  MECARD, URLs, emails, phones);
- `csv`: reading address-book CSV files (Google, Outlook, Apple, LinkedIn) and
  writing a spreadsheet-safe CSV export.

Importing into an account and exporting one are the domain's: `app/importing.py`
and `app/exporting.py` use these.
"""
