/// maptrace's version, written into every log header.
public let maptraceVersion = "0.1.0"
