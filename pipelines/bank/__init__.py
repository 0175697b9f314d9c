"""The bank's own systems (customer registry, app telemetry, chargebacks, collections).

Open Finance, Serasa and API Pix do not carry these: who the customers are (KYC registry and their
PIX keys in DICT), the app context of each transaction (channel, device, PIX key paid), logins,
and the labels (fraud confirmed by chargebacks/fraud reports, loan defaults from collections). In
this project they are read from the simulated world, which stands in for those internal systems.
"""
