"""OCR engines (Tesseract, any command line, OpenAI-compatible vision endpoints, OCR already on disk) behind one
registry: the OCR benchmark (``ablations/ocrbench/``) compares them, the ``reocr`` block runs one on bad pages."""
