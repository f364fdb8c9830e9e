#include "PasswordStore.h"

#include <qt6keychain/keychain.h>

namespace bfs {

PasswordStore::PasswordStore(QObject *parent)
    : QObject(parent)
{
}

void PasswordStore::read(const QString &profileName, const Callback &done)
{
    // Jobs have no parent: start() only queues them, and one deleted with a closing dialog before
    // it ran would never store anything. Each deletes itself when it has finished.
    auto *job = new QKeychain::ReadPasswordJob(serviceName());
    job->setKey(profileName);
    connect(job, &QKeychain::Job::finished, this, [done](QKeychain::Job *j) {
        auto *read = static_cast<QKeychain::ReadPasswordJob *>(j);
        if (done)
            done(read->error() == QKeychain::NoError ? read->textData() : QString(),
                 read->error() == QKeychain::NoError ? QString() : read->errorString());
    });
    job->start();
}

void PasswordStore::write(const QString &profileName, const QString &password, const Callback &done)
{
    auto *job = new QKeychain::WritePasswordJob(serviceName());
    job->setKey(profileName);
    job->setTextData(password);
    connect(job, &QKeychain::Job::finished, this, [done](QKeychain::Job *j) {
        if (done)
            done(QString(), j->error() == QKeychain::NoError ? QString() : j->errorString());
    });
    job->start();
}

void PasswordStore::remove(const QString &profileName)
{
    auto *job = new QKeychain::DeletePasswordJob(serviceName());
    job->setKey(profileName);
    job->start();
}

} // namespace bfs
