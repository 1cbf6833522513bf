// The card in a crowd: the QR alone on a white screen in one tap (full screen and
// the screen kept on where the browser allows), Share, and writing an NFC tag.
const dialog = document.querySelector("[data-card-full]");
let wakeLock = null;
let inHistory = false; // an entry was pushed, so Back closes the card

async function keepScreenOn() {
  if (!("wakeLock" in navigator) || wakeLock) return;
  try {
    wakeLock = await navigator.wakeLock.request("screen");
    wakeLock.addEventListener("release", () => { wakeLock = null; });
  } catch {
    // denied (battery saver, hidden page): the card still shows
  }
}

function showMode(mode) {
  const img = dialog.querySelector("[data-card-full-img]");
  img.src = dialog.dataset[`${mode}Src`];
  img.alt = img.dataset[`${mode}Alt`];
  dialog.dataset.mode = mode;
  for (const button of dialog.querySelectorAll("[data-card-mode]")) {
    button.setAttribute("aria-pressed", String(button.dataset.cardMode === mode));
  }
}

function openCard() {
  dialog.showModal();
  history.pushState({ morrowCard: true }, "");
  inHistory = true;
  const root = document.documentElement;
  if (root.requestFullscreen) root.requestFullscreen({ navigationUI: "hide" }).catch(() => {});
  keepScreenOn();
}

/** Close the card; `fromHistory` when Back already took its entry away. */
function closeCard(fromHistory = false) {
  if (dialog.open) dialog.close();
  if (wakeLock) wakeLock.release().catch(() => {});
  wakeLock = null;
  if (document.fullscreenElement) document.exitFullscreen().catch(() => {});
  if (inHistory && !fromHistory) history.back();
  inHistory = false;
}

if (dialog) {
  for (const opener of document.querySelectorAll("[data-show-card]")) {
    opener.hidden = false;
    opener.addEventListener("click", (event) => {
      event.preventDefault();
      openCard();
    });
  }
  dialog.addEventListener("click", (event) => {
    const mode = event.target.closest("[data-card-mode]");
    if (mode) showMode(mode.dataset.cardMode);
    else closeCard();
  });
  dialog.addEventListener("cancel", (event) => { event.preventDefault(); closeCard(); });
  window.addEventListener("popstate", () => { if (inHistory) closeCard(true); });
  // Back on a phone leaves full screen first: the card goes with it.
  document.addEventListener("fullscreenchange", () => {
    if (!document.fullscreenElement && dialog.open) closeCard();
  });
  // The system releases the lock when the page is hidden; take it again on return.
  document.addEventListener("visibilitychange", () => {
    if (document.visibilityState === "visible" && dialog.open) keepScreenOn();
  });
}

// Share: the system share sheet, or the clipboard where there is none.
const shareButton = document.querySelector("[data-share]");
const shareStatus = document.querySelector("[data-share-status]");
if (shareButton) {
  shareButton.hidden = false;
  shareButton.addEventListener("click", async () => {
    const { url, title } = shareButton.dataset;
    if (navigator.share) {
      try {
        await navigator.share({ title, text: title, url });
        return;
      } catch (error) {
        if (error.name === "AbortError") return; // they closed the sheet
      }
    }
    try {
      await navigator.clipboard.writeText(url);
      shareStatus.textContent = "Link copied";
    } catch {
      shareStatus.textContent = `Copy this link: ${url}`;
    }
  });
}

// NFC (Android Chrome): a tag that opens the public card when a phone touches it.
const nfcButton = document.querySelector("[data-nfc]");
if (nfcButton && "NDEFReader" in window) {
  nfcButton.hidden = false;
  nfcButton.addEventListener("click", async () => {
    const status = document.querySelector("[data-share-status]");
    status.textContent = "Hold a tag against the back of your phone…";
    try {
      await new window.NDEFReader().write({ records: [{ recordType: "url", data: nfcButton.dataset.url }] });
      status.textContent = "Written: a phone that touches this tag opens your card.";
    } catch (error) {
      status.textContent = `The tag was not written: ${error.message}`;
    }
  });
}
