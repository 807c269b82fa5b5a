element.addEventListener('click', (ev) => {
  const b = ev.target.closest('[data-action]');
  if (!b || !element.contains(b)) return;
  ev.preventDefault();
  trigger('click', {action: b.dataset.action});
});
const reveal = () => {
  const box = element.querySelector('.pv-scroll');
  const t = element.querySelector('.para.target');
  if (box && t) box.scrollTop = Math.max(0, t.offsetTop - box.offsetTop - box.clientHeight / 3);
  if (element.querySelector('.pv') && window.innerWidth < 900) element.scrollIntoView({behavior: 'smooth', block: 'start'});
};
watch('value', reveal);
