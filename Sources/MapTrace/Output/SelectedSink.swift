/// Passes on only the calls `-e trace=`/`status=` selected (every other event unchanged): what
/// the log records is what the text shows.
public final class SelectedSink: TraceSink {
    let inner: TraceSink
    let selection: TraceSelection

    public init(_ inner: TraceSink, selection: TraceSelection) {
        self.inner = inner
        self.selection = selection
    }

    public func wants(touchesHugetlb: Bool, failed: Bool) -> Bool { inner.wants(touchesHugetlb: touchesHugetlb, failed: failed) }

    public func needsExit(_ call: Syscall, touchesHugetlb: Bool) -> Bool {
        selection.showsSuccessful(call) && inner.needsExit(call, touchesHugetlb: touchesHugetlb)
    }

    public func handle(_ event: TraceEvent) {
        switch event {
        case .syscall(let e), .laterFailure(let e):
            if selection.shows(e.call) { inner.handle(event) }
        default:
            inner.handle(event)
        }
    }

    public func status(_ status: LiveStatus) { inner.status(status) }
}
