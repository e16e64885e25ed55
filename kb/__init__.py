"""Knowledge base of standards (TCVN, QCVN, ...), products and accredited labs for Bắc Ninh."""
