// After a navigation the new view's heading takes focus, so a screen reader announces the view
// and Tab goes on from there. Its focus box is for keyboard users only. Browsers decide whether a
// script's focus shows the box from the focus before it, and a clicked link does not take focus
// everywhere (Safari; Firefox on macOS): the box of a heading focused by keyboard carried over to
// every later heading, even for a mouse user. So the last kind of input decides here.

let byPointer = false;
window.addEventListener('pointerdown', () => { byPointer = true; }, true);
window.addEventListener('keydown', () => { byPointer = false; }, true);

/** Focus the heading of `root`; without a box when the last input was a pointer. */
export function focusHeading(root) {
  const heading = root.querySelector('h1');
  if (!heading) return;
  if (byPointer) heading.dataset.quietFocus = '';
  else delete heading.dataset.quietFocus;
  heading.addEventListener('blur', () => { delete heading.dataset.quietFocus; }, { once: true });
  heading.focus({ focusVisible: !byPointer });
}
