"""Everything that talks to Kinovi: pricing, prompt references, requests, client, simulator.

Plain typed Python without Django, so it can be imported and tested on its own.
"""
