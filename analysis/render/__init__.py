"""Report rendering (I/O only): figures, XLSX and DOCX from the result's plain data."""
