// The student's side of a room: who and where I am, and fork ("try it yourself") / watch.

import { actionButton, el } from "./dom.js";

/** Returns {element, setMode(mode), mode(), onRoom(view)}; onFork/onWatch/onLeave run the actions. */
export function createStudentPanel({ code, name, memberId, sweepable, onFork, onWatch, onLeave, onError }) {
  const fork = actionButton("Try it yourself", "fork", onFork, onError);
  fork.title = "Copy the teacher's network, weights and data into your own run";
  const watch = actionButton("Watch the teacher", "watch", onWatch, onError);
  const leave = actionButton("Leave", "leave", onLeave, onError);
  leave.title = "Leave the room for good: your own run ends and your name is free again";
  const spotlight = el("span", { className: "spotlight-note", testId: "spotlight-note" });
  // The sweep the teacher shows the class: a link to the sweep page, which follows it live.
  const sweep = el("a", { className: "class-sweep", testId: "class-sweep", attrs: { hidden: "" } });
  // The teacher's challenge, the student's place on its leaderboard, and a way to search with a sweep.
  const challenge = el("span", { className: "class-challenge", testId: "class-challenge", attrs: { hidden: "" } });
  const challengeText = el("span");
  const searchLink = el("a", { text: "search with a sweep", attrs: { href: "./sweeps.html" } });
  searchLink.title = "Sweep many networks at once; on the sweep page, enter the sweep in the challenge";
  challenge.append(challengeText, ...(sweepable ? [" · ", searchLink] : []));
  const element = el("div", { className: "classroom-room student" }, [
    el("span", { className: "room-label", text: "Room" }),
    el("strong", { className: "room-code", testId: "room-code", text: code }),
    el("span", { className: "me", text: `you are ${name}` }),
    fork,
    watch,
    leave,
    spotlight,
    sweep,
    challenge,
  ]);

  function setMode(mode) {
    fork.hidden = false; // a fork again starts over from the teacher's current run
    fork.textContent = mode === "forked" ? "Start again from the teacher's run" : "Try it yourself";
    watch.hidden = mode !== "forked";
    element.dataset.mode = mode;
  }

  function onRoom(view) {
    const spot = view.spotlight;
    spotlight.textContent = spot.member_id ? `On the big screen: ${spot.name}'s run` : "";
    challenge.hidden = !view.challenge;
    if (view.challenge) {
      const label = view.challenge.label || `test loss below ${view.challenge.target_loss} on ${view.challenge.dataset}`;
      const place = view.leaderboard.find((entry) => entry.id === memberId);
      challengeText.textContent = `Challenge: ${label}${place ? ` · you are number ${place.rank} (${place.neurons} neurons)` : ""}`;
    }
    const shown = view.sweep;
    sweep.hidden = !shown;
    if (shown) {
      sweep.href = `./sweeps.html?sweep=${encodeURIComponent(shown.id)}`;
      const varied = shown.varied.length ? `, ${shown.varied.join(", ").replaceAll("_", " ")} varied` : "";
      sweep.textContent = `The class's sweep: ${shown.run_count} runs${varied}. Open it`;
    }
  }

  return { element, setMode, mode: () => element.dataset.mode, onRoom };
}
