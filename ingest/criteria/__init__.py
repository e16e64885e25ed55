"""Criteria tables of product standards ("Chỉ tiêu | Mức | Phương pháp thử") → ``CriterionRow`` records.

They are looked for only on the pages whose plain text shows such a header or a "(tiếp theo)"
continuation (``extract.criteria_pages``). Each page is cut by the pypdfium2 grid (``ingest.grid``)
and read by ``ruled``; pdfplumber gets a page only when it has drawn lines the grid could not cut into rows; a page
no ruled reader got a criterion from goes to ``unruled`` (columns aligned by white space only).
"""
