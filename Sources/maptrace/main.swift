import MapTrace
print("maptrace \(maptraceVersion)")
