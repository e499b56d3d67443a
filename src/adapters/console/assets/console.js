// The console's only script: the overview's live figures and charts. Pages work without it.
'use strict';
(function () {
  const live = document.querySelector('[data-live]');
  if (live === null) return;
  const url = live.getAttribute('data-live');
  const charts = {};

  function setText(id, value) {
    const element = document.getElementById(id);
    if (element !== null) element.textContent = String(value);
  }

  function chart(id, series, data) {
    const element = document.getElementById(id);
    if (element === null || typeof window.uPlot !== 'function') return;
    if (charts[id] === undefined) {
      charts[id] = new window.uPlot(
        {
          width: Math.max(element.clientWidth, 300),
          height: 220,
          series: [{}].concat(series),
          // Always the last three hours, as the heading says: with few points uPlot would stretch
          // the time axis over years.
          scales: {
            x: {
              time: true,
              range: function () {
                const now = Date.now() / 1000;
                return [now - 3 * 3600, now];
              },
            },
          },
        },
        data,
        element,
      );
    } else {
      charts[id].setData(data);
    }
  }

  function processes(list) {
    const body = document.querySelector('#processes tbody');
    if (body === null) return;
    body.replaceChildren();
    for (const p of list) {
      const row = document.createElement('tr');
      for (const value of [p.applicationName, p.clientAddress || 'local', p.pid, p.connections, p.since]) {
        const cell = document.createElement('td');
        cell.textContent = String(value);
        row.appendChild(cell);
      }
      body.appendChild(row);
    }
  }

  async function refresh() {
    try {
      const response = await fetch(url, {
        headers: { accept: 'application/json' },
        credentials: 'same-origin',
      });
      if (!response.ok) throw new Error(String(response.status));
      const data = await response.json();
      setText('fig-pending', data.pending);
      setText('fig-parked', data.parked);
      setText('fig-oldest', data.oldestPendingAge);
      setText('fig-blocked', data.blockedEntities);
      setText('fig-delivered', data.deliveredText);
      const s = data.series;
      chart(
        'chart-delivered',
        [{ label: 'delivered/min', stroke: '#1f5fa8', width: 2 }],
        [s.minute, s.delivered],
      );
      chart(
        'chart-delay',
        [
          { label: 'p50 s', stroke: '#2a7d2a', width: 2 },
          { label: 'p95 s', stroke: '#a8321f', width: 2 },
        ],
        [s.minute, s.delayP50, s.delayP95],
      );
      processes(data.processes);
      setText('live-status', 'Updated ' + new Date().toLocaleTimeString() + '; updates every 5 seconds.');
    } catch (error) {
      setText('live-status', 'Could not update (' + error.message + '); retrying.');
    }
  }

  refresh();
  setInterval(refresh, 5000);
})();
