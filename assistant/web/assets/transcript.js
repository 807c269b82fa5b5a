element.addEventListener('click', (ev) => {
  const b = ev.target.closest('[data-action]');
  if (!b || !element.contains(b)) return;
  ev.preventDefault();
  element.querySelectorAll('.active').forEach(x => x.classList.remove('active'));
  b.classList.add('active');
  trigger('click', {action: b.dataset.action, turn: b.dataset.turn, n: b.dataset.n});
});
