"""analysis.render: see STYLE.md section 2 (filled by the report-engine work)."""
