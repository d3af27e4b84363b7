print("cfsp: not yet")
