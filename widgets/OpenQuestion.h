#pragma once

#include <QMessageBox>
#include <QWidget>

#include <functional>

namespace bfs {

// A yes/no question that does not block (the work it asks about goes on while it is open, and
// whoever opened it may close it when the question no longer stands). No is the default; onYes
// runs on a yes, onAnswer after either. The box deletes itself when closed.
inline QMessageBox *openQuestion(QWidget *parent, const QString &title, const QString &text, const std::function<void()> &onYes,
                                 const std::function<void()> &onAnswer = {})
{
    auto *box = new QMessageBox(QMessageBox::Question, title, text, QMessageBox::Yes | QMessageBox::No, parent);
    box->setDefaultButton(QMessageBox::No);
    box->setAttribute(Qt::WA_DeleteOnClose);
    QObject::connect(box, &QMessageBox::finished, box, [onYes, onAnswer](int answer) {
        if (onAnswer)
            onAnswer();
        if (answer == QMessageBox::Yes && onYes)
            onYes();
    });
    box->open();
    return box;
}

} // namespace bfs
