"""The OCR benchmark: which engine reads a collection's pages best, by century, language and script."""
