/// Sends every event to several sinks: the text output and the log.
public final class SinkGroup: TraceSink {
    let sinks: [TraceSink]

    public init(_ sinks: [TraceSink]) { self.sinks = sinks }

    public func wants(touchesHugetlb: Bool, failed: Bool) -> Bool {
        sinks.contains { $0.wants(touchesHugetlb: touchesHugetlb, failed: failed) }
    }

    public func needsExit(_ call: Syscall, touchesHugetlb: Bool) -> Bool {
        sinks.contains { $0.needsExit(call, touchesHugetlb: touchesHugetlb) }
    }

    public func handle(_ event: TraceEvent) {
        for sink in sinks { sink.handle(event) }
    }

    public func status(_ status: LiveStatus) {
        for sink in sinks { sink.status(status) }
    }
}
