"""Vietnamese for the union's reports against the Đề án targets (issue #7)."""

VI = {
    "Year {year}": "Năm {year}",
    "Quarter {n}/{year}": "Quý {n}/{year}",
    "First half of {year}": "6 tháng đầu năm {year}",
    "Second half of {year}": "6 tháng cuối năm {year}",
    "“{text}” is not a period such as 2026-Q3, 2026-H1 or 2026": "“{text}” không phải kỳ báo cáo như 2026-Q3, 2026-H1 hoặc 2026",
}
