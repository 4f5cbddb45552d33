// What a push did, in words: for the teacher, read back from every student's run (all afresh at epoch
// 0, or all continuing, and who could not take it and why); for a student, what it did to their run.

/** [title, text] for the teacher from the push's report ({mode, students, applied, runs}). */
export function pushReport({ mode, students, applied, runs = [] }) {
  if (!students) {
    return [
      "Nobody to push to yet",
      "Pushes reach the runs of students who pressed “Try it yourself”; watchers see your run already.",
    ];
  }
  const all = applied === students ? `all ${students}` : `${applied} of ${students}`;
  const state =
    mode === "fresh"
      ? "start afresh with your settings: new weights, epoch 0, paused"
      : "carry on from their own weights with your settings";
  const refused = runs.filter((run) => !run.applied);
  const why = refused.map((run) => `${run.name} (${run.message || "not taken"})`).join("; ");
  const title = `Pushed to ${students} student run${students === 1 ? "" : "s"}:`;
  return [title, `${all} ${state}.${why ? ` Not taken: ${why}.` : ""}`];
}

/** [title, text] for a student's page after a push (null when it did not touch their run). */
export function pushedToMe(message, memberId, mode) {
  if (mode !== "forked") return null;
  const mine = (message.runs || []).find((run) => run.id === memberId);
  if (mine && !mine.applied) {
    const why = mine.message || "they do not fit it";
    return ["The teacher pushed new settings:", `your run could not take them (${why}).`];
  }
  const what =
    message.mode === "fresh"
      ? "Your run starts afresh with them: new weights, epoch 0."
      : "Your run carries on from its weights with them.";
  return ["The teacher pushed new settings.", what];
}
