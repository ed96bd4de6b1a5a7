"""Turning what lead providers, web forms, e-mail and CRMs send into an IncomingLead."""
