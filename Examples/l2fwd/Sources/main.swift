import CPcap
print("l2fwd")
