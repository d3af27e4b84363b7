print("cfspd: not yet")
